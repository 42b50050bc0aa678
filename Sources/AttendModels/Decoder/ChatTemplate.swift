/// A model's chat format, recognised from the Jinja template in its metadata
/// (`tokenizer.chat_template`). Attend does not run Jinja: like llama.cpp's `llm_chat_detect_template`,
/// it recognises the template family by its markers and renders that family's format itself.
/// Supported: ChatML (`<|im_start|>role\ncontent<|im_end|>\n`, SmolLM2, Qwen), including a default
/// system message written literally in the template (SmolLM2's "You are a helpful AI assistant named
/// SmolLM, trained by Hugging Face").
public struct ChatTemplate: Sendable, Equatable {
    public enum Family: String, Sendable { case chatML = "chatml" }

    public let family: Family
    /// The system message the template inserts when the conversation has none.
    public let defaultSystemMessage: String?

    /// Recognises `template`; nil when its family is not supported.
    public init?(jinja template: String) {
        guard template.contains("<|im_start|>") else { return nil }
        family = .chatML
        let marker = "<|im_start|>system\n"
        if let start = template.range(of: marker), let end = template[start.upperBound...].range(of: "<|im_end|>") {
            defaultSystemMessage = String(template[start.upperBound..<end.lowerBound])
        } else {
            defaultSystemMessage = nil
        }
    }

    /// The prompt for `messages` (role, content) followed by the assistant's turn opening
    /// (`add_generation_prompt`).
    public func render(_ messages: [(role: String, content: String)]) -> String {
        var text = ""
        if let system = defaultSystemMessage, messages.first?.role != "system" {
            text += "<|im_start|>system\n\(system)<|im_end|>\n"
        }
        for message in messages { text += "<|im_start|>\(message.role)\n\(message.content)<|im_end|>\n" }
        return text + "<|im_start|>assistant\n"
    }
}
