import FuzzSupport

_ = filesBeside  // before fuzzing, so that the leak checker does not count it against an input
runLibFuzzer(fuzzHardware)
