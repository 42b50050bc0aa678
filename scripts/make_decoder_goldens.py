#!/usr/bin/env python3
"""Writes the decoder goldens of Attend's model tests (issue #11) into Tests/AttendModelsTests/Goldens/.

  tiny-gpt2/        a random transformers.GPT2LMHeadModel (2 layers, n_embd 48, 4 heads of 12,
                    64 positions, vocab 97, gelu_new, LayerNorm eps 1e-5), saved with save_pretrained
                    (config.json + model.safetensors, F32; Conv1D weights stored (in, out) as HF does).
  tiny-llama/       a random transformers.LlamaForCausalLM (2 layers, hidden 64, 4 query heads and
                    2 KV heads of 16, SwiGLU FFN 96, RMSNorm eps 1e-5, RoPE theta 100000 (rotate_half),
                    128 positions, vocab 97, tied embeddings), saved the same way.
  tiny-llama-gguf/  that same Llama written as GGUF v3 files the way llama.cpp's convert_hf_to_gguf.py
                    writes a llama model (keys llama.*, tensor names token_embd / blk.N.* / output_norm,
                    Q and K rows permuted for llama.cpp's interleaved RoPE, no output.weight since the
                    embeddings are tied, norms F32), one file per type: f32, f16, q8_0, q4_0, q4_1
                    (every matrix in that type, quantized with gguf.quants), with a minimal byte-level
                    BPE vocabulary (97 tokens, 4 merges) so that llama.cpp can load them too.
  smollm2/          the real SmolLM2-135M-Instruct Q4_1 GGUF (scripts/fetch_models.sh) loaded in
                    transformers (gguf_file=, dequantized to F32): three fixed prompts, their ids,
                    the last position's logits (<case>.logits.f32: 49152 little-endian float32),
                    top-20, and the greedy continuation of 32 tokens.

Tiny models: every parameter is drawn from a fixed seed with O(1) scales (norm gains 1 ± 0.1, non-zero
biases, Linear weights N(0, 1/in)), so a wrong transpose, a missed bias or a wrong RoPE layout shows in
the outputs. Their goldens are the forward of the stored weights (GGUF: as transformers dequantizes and
un-permutes them, checked to equal gguf.quants.dequantize + our own un-permute exactly) in float64
(SDPA attention; Llama's RoPE angles in float64 too, where transformers computes them in float32),
rounded to 12 significant digits; greedy continuations are argmax of float64 logits, checked against
transformers' generate(do_sample=False) and against incremental decoding through the KV cache; each
greedy step's top-1 − top-2 logit margin is stored (all > MIN_GREEDY_MARGIN, so an F32 implementation
cannot flip them).

Usage: .venv/bin/python scripts/make_decoder_goldens.py [--skip-smollm2] [--check-llamacpp]
  (offline, deterministic; ~10 s for the tiny models, ~2 min more for SmolLM2, which must have been
  fetched by scripts/fetch_models.sh)
"""
import argparse
import json
import platform
import sys
import warnings
from pathlib import Path

import gguf
import numpy as np
import safetensors
import torch
import transformers
from gguf import GGMLQuantizationType as QT
from gguf import LlamaFileType
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, LlamaConfig, \
    LlamaForCausalLM

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "AttendModelsTests" / "Goldens"
COMMAND = ".venv/bin/python scripts/make_decoder_goldens.py"
SIGNIFICANT_DIGITS = 12  # far beyond F32's precision; keeps regenerated files byte-stable
MIN_GREEDY_MARGIN = 1e-3  # tiny models: every greedy step's top-1 − top-2 logit gap (float64) exceeds this
# Token and position embeddings are N(0, EMBEDDING_SCALE²) and the projections back into the residual stream
# (attention output, FFN down) are RESIDUAL_GAIN × N(0, 1/in): so that the tied LM head does not just predict
# the last input token again and greedy continuations vary.
EMBEDDING_SCALE = 0.1
RESIDUAL_GAIN = 2.0
RESIDUAL_PROJECTIONS = ("attn.c_proj.weight", "mlp.c_proj.weight", "self_attn.o_proj.weight", "mlp.down_proj.weight")

GPT2_ARCH = dict(n_layer=2, n_embd=48, n_head=4, n_positions=64, vocab_size=97,
                 activation_function="gelu_new", layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=0,
                 resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
LLAMA_ARCH = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                  intermediate_size=96, num_hidden_layers=2, rms_norm_eps=1e-5, rope_theta=100000.0,
                  max_position_embeddings=128, vocab_size=97, tie_word_embeddings=True, rope_scaling=None,
                  hidden_act="silu", attention_bias=False, mlp_bias=False, bos_token_id=1, eos_token_id=2)
GPT2_SEED, LLAMA_SEED, INPUT_SEED = 0, 0, 2
PROMPT_LENGTH = 20
GREEDY_TOKENS = 8

# GGUF files of tiny-llama: file name → (type of every matrix, general.file_type).
GGUF_FILES = {
    "tiny-llama-f32.gguf": (QT.F32, LlamaFileType.ALL_F32),
    "tiny-llama-f16.gguf": (QT.F16, LlamaFileType.MOSTLY_F16),
    "tiny-llama-q8_0.gguf": (QT.Q8_0, LlamaFileType.MOSTLY_Q8_0),
    "tiny-llama-q4_0.gguf": (QT.Q4_0, LlamaFileType.MOSTLY_Q4_0),
    "tiny-llama-q4_1.gguf": (QT.Q4_1, LlamaFileType.MOSTLY_Q4_1),
}
# HF Llama parameter name (after model.layers.N.) → GGUF tensor name (after blk.N.), as gguf.TensorNameMap maps them.
LLAMA_LAYER_TENSORS = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}

SMOLLM2_DIR = ROOT / "models" / "smollm2-135m-instruct"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_GREEDY_TOKENS = 32
SMOLLM2_TOP = 20
SMOLLM2_CASES = {
    "plain": {"text": "The quick brown fox jumps over the lazy dog because it wanted to see what was on the other side"},
    "digits": {"text": "On 2024-03-15, the price rose 12.5% to $1,234.56 (up from 987.00); call +1 (555) 010-9999!"},
    "chat": {"chat_user_message": "What is the capital of France?"},
}


def rounded(x):
    """A tensor or nested list of floats → nested lists of Python floats with SIGNIFICANT_DIGITS digits."""
    if isinstance(x, torch.Tensor):
        x = x.tolist()
    if isinstance(x, list):
        return [rounded(v) for v in x]
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}")


def produced_by() -> dict:
    return {"command": COMMAND, "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "safetensors": safetensors.__version__,
            "gguf": gguf.__version__ if hasattr(gguf, "__version__") else _dist_version("gguf"),
            "numpy": np.__version__}


def _dist_version(name: str) -> str:
    from importlib.metadata import version
    return version(name)


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Draws every parameter of `model` from `seed` with O(1) scales (see the module docstring)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if p.dim() == 1 and ("norm" in name or name.split(".")[-2].startswith("ln_")) and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * noise)
            elif name.endswith(".bias"):
                p.copy_(0.1 * noise)
            elif "wpe" in name:
                p.copy_(EMBEDDING_SCALE * noise)
            elif "wte" in name or "embed_tokens" in name:
                p.copy_(EMBEDDING_SCALE * noise)
            else:
                conv1d = isinstance(_module_of(model, name), transformers.pytorch_utils.Conv1D)
                fan_in = p.shape[0] if conv1d else p.shape[1]  # Conv1D weight [in, out], Linear [out, in]
                gain = RESIDUAL_GAIN if name.endswith(RESIDUAL_PROJECTIONS) else 1.0
                p.copy_(gain * noise / fan_in ** 0.5)


def _module_of(model: torch.nn.Module, param_name: str) -> torch.nn.Module:
    return model.get_submodule(param_name.rsplit(".", 1)[0])


def make_input_ids(vocab: int, first: int) -> list:
    gen = torch.Generator().manual_seed(INPUT_SEED)
    return torch.randint(first, vocab, (PROMPT_LENGTH,), generator=gen).tolist()


def body(model):
    """The decoder stack without the LM head (its last_hidden_state is after the final norm)."""
    return model.transformer if isinstance(model, GPT2LMHeadModel) else model.model


class Float64Rotary(torch.nn.Module):
    """transformers' default Llama RoPE (cos/sin of position · theta^(-2i/d), halves repeated for
    rotate_half) computed in float64; transformers computes these angles in float32 on purpose."""

    def __init__(self, config):
        super().__init__()
        d = config.head_dim
        self.inv_freq = config.rope_theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)  # [d/2]

    def forward(self, x, position_ids):  # position_ids: [B, T] → cos, sin: [B, T, d]
        freqs = position_ids[:, :, None].to(torch.float64) * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def reference(model, ids: list) -> dict:
    """Float64 logits [T][V], final hidden states [T][D] and greedy continuation of `model` (F32 weights)."""
    ref = model.double().eval()
    if isinstance(ref, LlamaForCausalLM):
        ref.model.rotary_emb = Float64Rotary(ref.config)
    x = torch.tensor([ids])
    with torch.no_grad():
        hidden = body(ref)(input_ids=x).last_hidden_state[0]
        logits = ref(input_ids=x).logits[0]
        greedy, margins, steps, seq = [], [], [], list(ids)
        for _ in range(GREEDY_TOKENS):  # full recompute each step
            step = ref(input_ids=torch.tensor([seq])).logits[0, -1]
            steps.append(step)
            top = torch.topk(step, 2)
            greedy.append(int(top.indices[0]))
            margins.append(float(top.values[0] - top.values[1]))
            seq.append(greedy[-1])
        check_incremental(ref, ids, greedy, logits)
        ref.generation_config.eos_token_id = None
        generated = ref.generate(x, do_sample=False, max_new_tokens=GREEDY_TOKENS, min_new_tokens=GREEDY_TOKENS,
                                 pad_token_id=0, eos_token_id=None)[0, len(ids):].tolist()
    assert generated == greedy, (generated, greedy)
    assert min(margins) > MIN_GREEDY_MARGIN, margins
    return {"logits": rounded(logits), "final_hidden_states": rounded(hidden), "greedy_continuation": greedy,
            "greedy_margins": rounded(margins), "greedy_logits": rounded(torch.stack(steps))}


def check_incremental(ref, ids: list, greedy: list, logits: torch.Tensor) -> None:
    """Prompt in two parts, then one token at a time through the KV cache: equals the full forward."""
    split = len(ids) // 2
    out = ref(input_ids=torch.tensor([ids[:split]]), use_cache=True)
    parts = [out.logits[0]]
    out = ref(input_ids=torch.tensor([ids[split:]]), past_key_values=out.past_key_values, use_cache=True)
    parts.append(out.logits[0])
    assert torch.allclose(torch.cat(parts), logits, atol=1e-9, rtol=0), "incremental prompt ≠ full forward"
    cache, seq = out.past_key_values, list(ids)
    for token in greedy:
        step = ref(input_ids=torch.tensor([[token]]), past_key_values=cache, use_cache=True)
        cache, seq = step.past_key_values, seq + [token]
        full = ref(input_ids=torch.tensor([seq])).logits[0, -1]
        assert torch.allclose(step.logits[0, -1], full, atol=1e-9, rtol=0), "incremental decode ≠ full forward"


def save_hf(model, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory, safe_serialization=True)
    (directory / "generation_config.json").unlink(missing_ok=True)


def reload_hf(cls, directory: Path):
    return cls.from_pretrained(directory, dtype=torch.float32, attn_implementation="sdpa").eval()


def write_json(path: Path, golden: dict) -> None:
    text = json.dumps(golden, indent=None, separators=(",", ":")) + "\n"
    path.write_text(text)
    print(f"{path.relative_to(ROOT)}: {len(text) / 1024:.0f} KiB", file=sys.stderr)


def hf_golden(name: str, model, ids: list) -> None:
    directory = OUT / name
    save_hf(model, directory)
    cls = type(model)
    fresh = reload_hf(cls, directory)
    golden = {
        "description": (
            f"Reference outputs of {name}/model.safetensors (F32, forward in float64, eval mode, no padding). "
            "logits: [T][vocab] for every position of input_ids; final_hidden_states: [T][hidden], the output "
            "of the last block after the final norm (input of the LM head); greedy_continuation: "
            f"{GREEDY_TOKENS} tokens, argmax each step, EOS ignored (equals generate(do_sample=False) and "
            "incremental decoding through the KV cache); greedy_margins: top-1 − top-2 logit at each step; "
            "greedy_logits: [GREEDY_TOKENS][vocab], the logits each greedy token was chosen from (step k: the "
            "last position of input_ids + greedy_continuation[:k]; step 0 equals logits[T - 1])."),
        "produced_by": produced_by(),
        "input_ids": ids,
    }
    golden.update(reference(fresh, ids))
    write_json(directory / "golden.json", golden)


# --- GGUF (llama.cpp's layout) -------------------------------------------------------------------

def permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF q/k rows (rotate_half pairs i, i + d/2) → llama.cpp's interleaved pairs (2i, 2i + 1), per head."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of `permute`."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_tensors(model: LlamaForCausalLM) -> dict:
    """HF state → {GGUF name: F32 array [out, in] / [n]}, Q and K permuted as the converter does."""
    cfg = model.config
    state = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    out = {"token_embd.weight": state["model.embed_tokens.weight"]}
    for i in range(cfg.num_hidden_layers):
        for hf, gg in LLAMA_LAYER_TENSORS.items():
            w = state[f"model.layers.{i}.{hf}"]
            if hf == "self_attn.q_proj.weight":
                w = permute(w, cfg.num_attention_heads)
            elif hf == "self_attn.k_proj.weight":
                w = permute(w, cfg.num_key_value_heads)
            out[f"blk.{i}.{gg}"] = np.ascontiguousarray(w)
    out["output_norm.weight"] = state["model.norm.weight"]
    return out


def tiny_vocab() -> tuple:
    """A 97-token byte-level BPE vocabulary: 3 specials, the 90 bytes '!'..'z' (byte_to_unicode maps them
    to themselves), and 4 merges."""
    merges = ["t h", "h e", "i n", "e r"]
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [chr(b) for b in range(33, 123)] + \
             [m.replace(" ", "") for m in merges]
    types = [gguf.TokenType.CONTROL] * 3 + [gguf.TokenType.NORMAL] * (len(tokens) - 3)
    return tokens, types, merges


def write_gguf(model: LlamaForCausalLM, path: Path, qtype: QT, ftype: LlamaFileType) -> None:
    cfg = model.config
    w = gguf.GGUFWriter(str(path), "llama")  # writes general.architecture = llama
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name("tiny-llama")
    w.add_block_count(cfg.num_hidden_layers)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_freq_base(cfg.rope_theta)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_file_type(ftype)
    w.add_vocab_size(cfg.vocab_size)
    w.add_rope_dimension_count(cfg.head_dim)
    tokens, types, merges = tiny_vocab()
    assert len(tokens) == cfg.vocab_size
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(cfg.bos_token_id)
    w.add_eos_token_id(cfg.eos_token_id)
    w.add_add_bos_token(False)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    for name, data in gguf_tensors(model).items():
        if data.ndim == 1 or qtype == QT.F32:
            w.add_tensor(name, data.astype(np.float32))
        elif qtype == QT.F16:
            w.add_tensor(name, data.astype(np.float16))
        else:
            w.add_tensor(name, gguf.quants.quantize(data, qtype), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def dequantized_state(path: Path, cfg) -> dict:
    """The GGUF's tensors dequantized with gguf.quants and un-permuted here, as HF state-dict tensors."""
    inverse = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight"}
    for i in range(cfg.num_hidden_layers):
        for hf, gg in LLAMA_LAYER_TENSORS.items():
            inverse[f"blk.{i}.{gg}"] = f"model.layers.{i}.{hf}"
    state = {}
    for t in gguf.GGUFReader(str(path)).tensors:
        data = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        data = data.reshape([int(n) for n in reversed(t.shape)])
        if ".attn_q." in t.name:
            data = unpermute(data, cfg.num_attention_heads)
        elif ".attn_k." in t.name:
            data = unpermute(data, cfg.num_key_value_heads)
        state[inverse[t.name]] = torch.from_numpy(np.ascontiguousarray(data))
    return state


def gguf_goldens(model: LlamaForCausalLM, ids: list) -> None:
    directory = OUT / "tiny-llama-gguf"
    directory.mkdir(parents=True, exist_ok=True)
    for name, (qtype, ftype) in GGUF_FILES.items():
        path = directory / name
        write_gguf(model, path, qtype, ftype)
        loaded = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32,
                                                      attn_implementation="sdpa").eval()
        ours = dequantized_state(path, model.config)
        theirs = loaded.state_dict()
        for key, value in ours.items():
            assert torch.equal(theirs[key], value), f"{name}: {key} differs between transformers and gguf.quants"
        max_weight_error = max(float((ours[k] - v.float()).abs().max())
                               for k, v in model.state_dict().items() if k in ours)
        if qtype == QT.F32:
            assert max_weight_error == 0.0
        golden = {
            "description": (
                f"Reference outputs of tiny-llama-gguf/{name} (matrices {qtype.name}, norms F32), computed by "
                "transformers on the weights it dequantizes from the file (gguf_file=; equal to "
                "gguf.quants.dequantize with Q/K rows un-permuted), forward in float64. Fields as in "
                "tiny-llama/golden.json; max_weight_error: max |dequantized − original F32 weight|."),
            "produced_by": produced_by(),
            "matrix_type": qtype.name,
            "max_weight_error": rounded(max_weight_error),
            "input_ids": ids,
        }
        golden.update(reference(loaded, ids))
        write_json(directory / name.replace(".gguf", ".golden.json"), golden)


# --- SmolLM2 (the real model) --------------------------------------------------------------------

def smollm2_goldens() -> None:
    if not (SMOLLM2_DIR / SMOLLM2_FILE).is_file():
        sys.exit(f"error: {SMOLLM2_DIR / SMOLLM2_FILE} is missing; run scripts/fetch_models.sh first")
    directory = OUT / "smollm2"
    directory.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(SMOLLM2_DIR, gguf_file=SMOLLM2_FILE)
    model = AutoModelForCausalLM.from_pretrained(SMOLLM2_DIR, gguf_file=SMOLLM2_FILE, dtype=torch.float32).eval()
    cases = {}
    for case, spec in SMOLLM2_CASES.items():
        if "chat_user_message" in spec:
            text = tok.apply_chat_template([{"role": "user", "content": spec["chat_user_message"]}],
                                           tokenize=False, add_generation_prompt=True)
        else:
            text = spec["text"]
        # The GGUF says add_bos false (tokenizer.ggml.add_bos_token); transformers' GGUF tokenizer would add one.
        ids = tok(text, add_special_tokens=False).input_ids
        x = torch.tensor([ids])
        with torch.no_grad():
            logits = model(input_ids=x).logits[0, -1].float()
            out = model.generate(x, do_sample=False, max_new_tokens=SMOLLM2_GREEDY_TOKENS, output_scores=True,
                                 return_dict_in_generate=True, pad_token_id=model.config.eos_token_id)
        greedy = out.sequences[0, len(ids):].tolist()
        margins = [float(torch.topk(s[0].float(), 2).values.diff().abs()) for s in out.scores]
        top = torch.topk(logits, SMOLLM2_TOP)
        logits.numpy().astype("<f4").tofile(directory / f"{case}.logits.f32")
        cases[case] = {**spec, "prompt_text": text, "input_ids": ids,
                       "last_logits_file": f"{case}.logits.f32",
                       "top_ids": top.indices.tolist(), "top_values": [float(v) for v in top.values],
                       "greedy_continuation": greedy, "greedy_text": tok.decode(greedy),
                       "greedy_stopped_at_eos": len(greedy) < SMOLLM2_GREEDY_TOKENS,
                       "greedy_margins": [float(f"{m:.6g}") for m in margins]}
        print(f"smollm2/{case}: {len(ids)} ids, top-1 {top.indices[0].item()}, greedy {tok.decode(greedy)!r}",
              file=sys.stderr)
    cfg = model.config
    golden = {
        "description": (
            f"The real {SMOLLM2_FILE} (scripts/fetch_models.sh) loaded by transformers (gguf_file=, weights "
            "dequantized to F32, eval, forward in float32). Per case: prompt_text, input_ids (transformers' "
            "tokenizer from the GGUF metadata, no BOS as the GGUF's add_bos_token is false), "
            "last_logits_file (the last position's logits, vocab_size little-endian float32), top_ids/top_values "
            f"(top {SMOLLM2_TOP} of those logits), greedy_continuation (generate(do_sample=False), up to "
            f"{SMOLLM2_GREEDY_TOKENS} new tokens, stops at EOS), greedy_margins (top-1 − top-2 logit per step)."),
        "produced_by": produced_by(),
        "model_file": SMOLLM2_FILE,
        "config": {k: getattr(cfg, k) for k in ("vocab_size", "hidden_size", "intermediate_size",
                                                "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                                                "head_dim", "rms_norm_eps", "rope_theta",
                                                "max_position_embeddings", "tie_word_embeddings",
                                                "bos_token_id", "eos_token_id")},
        "cases": cases,
    }
    write_json(directory / "golden.json", golden)


def check_llamacpp() -> None:
    """Optional cross-check (needs scripts/setup_llama.sh): llama.cpp's logits on each tiny GGUF, with an F32
    KV cache, against the goldens — F32 agrees to ~1e-6 iff the Q/K permutation and RoPE layout are right."""
    import llama_cpp
    for name in GGUF_FILES:
        path = OUT / "tiny-llama-gguf" / name
        golden = json.loads(path.with_name(name.replace(".gguf", ".golden.json")).read_text())
        ids = golden["input_ids"] + golden["greedy_continuation"][:-1]
        llm = llama_cpp.Llama(str(path), n_ctx=64, n_batch=64, logits_all=True, verbose=False, n_threads=1,
                              type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32)
        llm.eval(ids)
        theirs = np.array(llm.scores[:len(ids)])
        ours = np.array(golden["logits"] + golden["greedy_logits"][1:])
        print(f"llama.cpp {llama_cpp.__version__} on {name}: max |Δlogits| {np.abs(theirs - ours).max():.3g}, "
              f"same argmax at {int((theirs.argmax(1) == ours.argmax(1)).sum())}/{len(ids)} positions",
              file=sys.stderr)
    smollm2 = OUT / "smollm2" / "golden.json"
    if smollm2.is_file() and (SMOLLM2_DIR / SMOLLM2_FILE).is_file():
        llm = llama_cpp.Llama(str(SMOLLM2_DIR / SMOLLM2_FILE), vocab_only=True, verbose=False)
        for case, spec in json.loads(smollm2.read_text())["cases"].items():
            ids = llm.tokenize(spec["prompt_text"].encode(), add_bos=True, special=True)
            print(f"llama.cpp tokenizer on smollm2/{case}: ids {'equal' if ids == spec['input_ids'] else 'DIFFER'}",
                  file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-smollm2", action="store_true", help="only the tiny models")
    parser.add_argument("--check-llamacpp", action="store_true",
                        help="also compare llama.cpp's logits on the tiny GGUFs (scripts/setup_llama.sh)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(1)

    torch.manual_seed(0)
    gpt2 = GPT2LMHeadModel._from_config(GPT2Config(**GPT2_ARCH), attn_implementation="sdpa").eval()
    randomize(gpt2, GPT2_SEED)
    hf_golden("tiny-gpt2", gpt2, make_input_ids(GPT2_ARCH["vocab_size"], 1))

    llama = LlamaForCausalLM._from_config(LlamaConfig(**LLAMA_ARCH), attn_implementation="sdpa").eval()
    randomize(llama, LLAMA_SEED)
    ids = make_input_ids(LLAMA_ARCH["vocab_size"], 3)
    hf_golden("tiny-llama", llama, ids)
    gguf_goldens(reload_hf(LlamaForCausalLM, OUT / "tiny-llama"), ids)

    if args.check_llamacpp:
        check_llamacpp()
    if not args.skip_smollm2:
        smollm2_goldens()


if __name__ == "__main__":
    main()
