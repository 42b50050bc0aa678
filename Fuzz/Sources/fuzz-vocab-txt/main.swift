import FuzzSupport

runLibFuzzer(fuzzVocabTxt)
