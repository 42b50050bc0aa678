import ArgumentParser

/// The `attend` command. Exit codes: 0 success; 1 a runtime error (bad file, bad input, failed
/// measurement) with a message naming what is wrong; 64 a usage error (unknown option, bad value).
@main
struct Attend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attend",
        abstract: "Fast, efficient Transformer inference on CPUs, built around attention optimizations.",
        discussion: """
            Runs Hugging Face BERT checkpoints (config.json, model.safetensors, vocab.txt) on GLUE data, and causal \
            language models (SmolLM2 / Llama GGUF files, GPT-2 and Llama Hugging Face directories) for generation and perplexity.
            Exit codes: 0 success; 1 runtime error (bad file or input); 64 usage error.
            """,
        subcommands: [Run.self, Eval.self, Tokenize.self, Generate.self, PerplexityCommand.self, Demo.self, Bench.self, Search.self, Cost.self, Tune.self])
}
