import FuzzSupport

runLibFuzzer(fuzzGGUF)
