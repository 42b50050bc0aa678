import FuzzSupport

runLibFuzzer(fuzzTokenizerJSON)
