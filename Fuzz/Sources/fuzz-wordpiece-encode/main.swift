import FuzzSupport

_ = tokenizer.vocabulary.count  // loaded before fuzzing, so that the leak checker does not count it against an input
runLibFuzzer(fuzzWordPieceEncode)
