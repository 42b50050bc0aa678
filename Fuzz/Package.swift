// swift-tools-version:6.0
//
// libFuzzer targets for every file format Attend reads (RELIABILITY.md). A separate package so the
// main build never sees `-sanitize=fuzzer`: scripts/fuzz.sh builds it with
// `-Xswiftc -sanitize=fuzzer,address` and runs each executable on its
// committed seed corpus in Fuzz/Corpus/<target> (dictionaries in Fuzz/Dictionaries).
import PackageDescription

/// One fuzz target: an executable whose only entry point is `LLVMFuzzerTestOneInput`.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzSupport"] + dependencies, path: "Sources/fuzz-\(name)")
}

func attend(_ product: String) -> Target.Dependency { .product(name: product, package: "Attend") }

let package = Package(
    name: "AttendFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "Attend", path: "..")],
    targets: [
        // Writes each input to a per-process scratch file for the readers that take a path.
        .target(name: "FuzzSupport"),
        fuzzTarget("safetensors", [attend("AttendModels")]),
        fuzzTarget("gguf", [attend("AttendModels")]),
        fuzzTarget("json", [attend("AttendJSON")]),
        fuzzTarget("tokenizer-json", [attend("AttendTokenizers")]),
        fuzzTarget("vocab-txt", [attend("AttendTokenizers")]),
        fuzzTarget("wordpiece-encode", [attend("AttendTokenizers")]),
        fuzzTarget("bpe-files", [attend("AttendTokenizers")]),
        fuzzTarget("bpe-encode", [attend("AttendTokenizers")]),
        fuzzTarget("config", [attend("AttendModels")]),
        fuzzTarget("plan", [attend("AttendAttention")]),
        fuzzTarget("glue", [attend("AttendEvaluation")]),
        fuzzTarget("trace", [attend("AttendWorkload")]),
        fuzzTarget("hardware", [attend("AttendHardware")]),
    ],
    swiftLanguageModes: [.v6]
)
