import FuzzSupport

runLibFuzzer(fuzzGLUE)
