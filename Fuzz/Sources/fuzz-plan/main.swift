import FuzzSupport

runLibFuzzer(fuzzPlan)
