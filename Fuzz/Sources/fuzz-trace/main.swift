import FuzzSupport

runLibFuzzer(fuzzTrace)
