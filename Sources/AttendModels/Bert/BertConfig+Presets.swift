import Foundation

extension BertConfig {
    /// The BERT-base shape (Devlin et al. 2019): 12 layers, hidden 768, 12 heads, FFN 3072,
    /// vocabulary 30,522, 512 positions, 2 labels — for benchmarks with random weights.
    public static var bertBase: BertConfig {
        let json = """
            {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": 30522,
             "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
             "hidden_act": "gelu", "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
             "pad_token_id": 0, "id2label": {"0": "LABEL_0", "1": "LABEL_1"}}
            """
        return try! JSONDecoder().decode(BertConfig.self, from: Data(json.utf8))
    }
}
