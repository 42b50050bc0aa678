import FuzzSupport

runLibFuzzer(fuzzBPEFiles)
