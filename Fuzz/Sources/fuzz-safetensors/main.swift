import FuzzSupport

runLibFuzzer(fuzzSafeTensors)
