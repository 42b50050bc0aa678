// swift-tools-version:6.0
//
// Attend — fast, efficient Transformer inference on CPUs, built around the attention
// optimizations of the accelerator literature.
//
// SIMD code generation (SPEC §8): Swift emits baseline SSE2 unless told the target CPU, and
// `unsafeFlags` would make this package unusable as a versioned dependency. So the hot inner
// loops live in the small C target `CAttendKernels`, whose functions carry
// `__attribute__((target("avx2,fma")))` and are chosen at run time after a CPU check (NEON on
// arm64, a portable C fallback elsewhere). The default build needs nothing but the toolchain.
import PackageDescription

let package = Package(
    name: "Attend",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "AttendKernels", targets: ["AttendKernels"]),
        .library(name: "AttendJSON", targets: ["AttendJSON"]),
        .library(name: "AttendTokenizers", targets: ["AttendTokenizers"]),
        .library(name: "AttendWorkload", targets: ["AttendWorkload"]),
        .library(name: "AttendHardware", targets: ["AttendHardware"]),
        .library(name: "AttendAttention", targets: ["AttendAttention"]),
        .library(name: "AttendModels", targets: ["AttendModels"]),
        .library(name: "AttendEvaluation", targets: ["AttendEvaluation"]),
        .executable(name: "attend", targets: ["AttendCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Kernels: SIMD inner loops in C with per-function target attributes (see above).
        .target(name: "CAttendKernels"),
        // Kernels: tensors, threading, GEMM driver, row operations, their slow twins, per-machine parameters.
        .target(name: "AttendKernels", dependencies: ["CAttendKernels", "AttendJSON"]),
        // JSON: the one strict JSON parser (tokenizer.json, config.json, safetensors headers).
        .target(name: "AttendJSON"),
        // Tokenizers never depend on the kernels.
        .target(name: "AttendTokenizers", dependencies: ["AttendJSON"]),
        // Attention: the AttentionMethod interface every model layer calls, masks, dense and tiled kernels.
        .target(name: "AttendAttention", dependencies: ["AttendKernels", "AttendWorkload"]),
        // Workload: the per-head records attention emits and the trace CSV — all the cost models see.
        .target(name: "AttendWorkload"),
        // Hardware: cost models (systolic core = SCALE-Sim 3.0, HDP accelerator, IO model) over workload records only.
        .target(name: "AttendHardware", dependencies: ["AttendWorkload", "AttendJSON"]),
        // Models: safetensors, Hugging Face configs, BERT.
        .target(name: "AttendModels", dependencies: ["AttendKernels", "AttendAttention", "AttendTokenizers", "AttendJSON"]),
        // Evaluation: GLUE data, metrics, batched classification.
        .target(name: "AttendEvaluation", dependencies: ["AttendModels", "AttendAttention", "AttendTokenizers"]),
        .executableTarget(
            name: "AttendCLI",
            dependencies: [
                "AttendEvaluation", "AttendAttention", "AttendModels", "AttendTokenizers", "AttendKernels", "AttendHardware",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "AttendKernelsTests", dependencies: ["AttendKernels"]),
        .testTarget(name: "AttendAttentionTests", dependencies: ["AttendAttention", "CAttendKernels"]),
        .testTarget(name: "AttendJSONTests", dependencies: ["AttendJSON"]),
        .testTarget(name: "AttendWorkloadTests", dependencies: ["AttendWorkload"]),
        .testTarget(name: "AttendHardwareTests", dependencies: ["AttendHardware", "AttendWorkload", "AttendAttention"],
                    exclude: ["Goldens"]),
        .testTarget(name: "AttendTokenizersTests", dependencies: ["AttendTokenizers"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "AttendModelsTests", dependencies: ["AttendModels", "AttendAttention"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "AttendEvaluationTests", dependencies: ["AttendEvaluation", "AttendAttention", "AttendModels", "AttendTokenizers"],
                    resources: [.copy("Goldens")]),
        // Runs the built `attend` executable as a user would (exit codes, messages, JSON).
        .testTarget(name: "AttendCLITests", dependencies: ["AttendCLI", "AttendKernels", "AttendJSON"]),
    ],
    swiftLanguageModes: [.v6]
)
