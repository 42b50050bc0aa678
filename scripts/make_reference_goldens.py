#!/usr/bin/env python3
"""Writes the reference goldens of Attend's model tests into Tests/AttendModelsTests/Goldens/.

Four tiny random BERT classifiers (transformers.BertForSequenceClassification: vocab 128, hidden 48,
2 layers, 4 heads of 12, FFN 37, 40 positions, 2 token types, 3 labels, GELU (erf), LayerNorm eps 1e-12),
each written as a Hugging Face directory:

  tiny-bert-f32/     F32 weights
  tiny-bert-f16/     F16 weights
  tiny-bert-bf16/    BF16 weights
  tiny-bert-legacy/  F32 weights with old checkpoint quirks: LayerNorm `gamma`/`beta` instead of
                     `weight`/`bias`, and the encoder's keys without the `bert.` prefix
                     (`embeddings.*`, `encoder.*`, `pooler.*`), while `classifier.*` keeps its name.

Each directory holds config.json (save_pretrained's), model.safetensors (safetensors.torch.save_file)
and golden.json: a padded batch of inputs and the float64 reference outputs of the model whose weights
are exactly those stored (F16/BF16 weights rounded, then upcast, as a loader converting to F32 sees them).

Every parameter is drawn from a fixed seed with O(1) scales (not BERT's 0.02 init, and non-zero biases
and LayerNorm parameters), so that a wrong transpose, a missed bias or a wrong mask shows in the outputs.

Usage: .venv/bin/python scripts/make_reference_goldens.py  (offline, deterministic, ~1 s)
"""
import copy
import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import safetensors
import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertForSequenceClassification

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "AttendModelsTests" / "Goldens"
COMMAND = ".venv/bin/python scripts/make_reference_goldens.py"

ID2LABEL = {0: "neg", 1: "neu", 2: "pos"}
ARCH = dict(vocab_size=128, hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, max_position_embeddings=40, type_vocab_size=2,
            layer_norm_eps=1e-12, hidden_act="gelu", pad_token_id=0,
            num_labels=3, id2label=ID2LABEL, label2id={v: k for k, v in ID2LABEL.items()})

# The checkpoints: directory name → (stored dtype, parameter seed, legacy key names?).
CHECKPOINTS = {
    "tiny-bert-f32": (torch.float32, 1, False),
    "tiny-bert-f16": (torch.float16, 2, False),
    "tiny-bert-bf16": (torch.bfloat16, 3, False),
    "tiny-bert-legacy": (torch.float32, 4, True),
}
DTYPE_NAMES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}

# The input batch: the first sequence (whose per-layer hidden states are kept) has an awkward length;
# the others cover length 1, the maximum length (40) and more awkward lengths.
LENGTHS = [13, 1, 40, 7, 29]
INPUT_SEED = 0
SIGNIFICANT_DIGITS = 12  # far beyond F32's precision; keeps regenerated files byte-stable


def make_model(seed: int) -> BertForSequenceClassification:
    """A tiny BERT classifier in eval mode with every parameter drawn from `seed`."""
    config = BertConfig(**ARCH)
    model = BertForSequenceClassification._from_config(config, attn_implementation="eager").eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.1 * noise)
            elif name.endswith(".bias"):
                p.copy_(0.1 * noise)
            elif "embeddings" in name:
                p.copy_(noise)
            else:  # a Linear weight [out, in]: unit-variance outputs for unit-variance inputs
                p.copy_(noise / p.shape[1] ** 0.5)
    return model


def fresh_model(config) -> BertForSequenceClassification:
    """An F32 eval-mode model of `config` (whatever dtype the config names) to load weights into."""
    return BertForSequenceClassification._from_config(config, attn_implementation="eager",
                                                      dtype=torch.float32).eval()


def round_weights(model: torch.nn.Module, dtype: torch.dtype) -> None:
    """Rounds every parameter to `dtype` and back to F32 in place (what a loader sees)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).to(torch.float32))


def legacy_key(key: str) -> str:
    """HF key → the legacy checkpoint's key (no `bert.` prefix, LayerNorm gamma/beta)."""
    if key.startswith("bert."):
        key = key[len("bert."):]
    if ".LayerNorm." in key:
        key = key.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
    return key


def save_checkpoint(model, directory: Path, dtype: torch.dtype, legacy: bool) -> None:
    """Writes config.json and model.safetensors (weights in `dtype`)."""
    directory.mkdir(parents=True, exist_ok=True)
    state = {}
    for key, value in model.state_dict().items():
        state[legacy_key(key) if legacy else key] = value.detach().to(dtype).contiguous()
    save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    config = copy.deepcopy(model.config)
    config.dtype = DTYPE_NAMES[dtype]
    config.save_pretrained(directory)


def make_inputs():
    """(input_ids, attention_mask, token_type_ids) as int64 tensors [B, T], padded with 0."""
    gen = torch.Generator().manual_seed(INPUT_SEED)
    width = max(LENGTHS)
    ids = torch.zeros(len(LENGTHS), width, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for b, n in enumerate(LENGTHS):
        ids[b, :n] = torch.randint(1, ARCH["vocab_size"], (n,), generator=gen)
        mask[b, :n] = 1
    return ids, mask, torch.zeros_like(ids)


def rounded(x):
    """A float64 tensor → nested lists of Python floats with SIGNIFICANT_DIGITS digits."""
    if isinstance(x, torch.Tensor):
        x = x.tolist()
    if isinstance(x, list):
        return [rounded(v) for v in x]
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}")


def reference_outputs(model, ids, mask, types) -> dict:
    """The float64 forward of `model` (a copy is cast to double) as golden.json's output fields."""
    ref = fresh_model(model.config)
    ref.load_state_dict(model.state_dict())
    ref = ref.double()
    with torch.no_grad():
        enc = ref.bert(input_ids=ids, attention_mask=mask, token_type_ids=types, output_hidden_states=True)
        logits = ref.classifier(ref.dropout(enc.pooler_output))
        full = ref(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
    assert torch.equal(logits, full)
    return {
        "last_hidden_state": [rounded(enc.last_hidden_state[b, :n]) for b, n in enumerate(LENGTHS)],
        "hidden_states": [rounded(h[0, :LENGTHS[0]]) for h in enc.hidden_states],
        "pooled": rounded(enc.pooler_output),
        "logits": rounded(logits),
        "predicted_labels": logits.argmax(-1).tolist(),
    }


def check_reload(directory: Path, model, ids, mask, types, legacy: bool) -> float:
    """Reloads the directory's safetensors into a fresh F32 model and returns max |Δlogits| vs `model`."""
    from safetensors.torch import load_file
    state = load_file(str(directory / "model.safetensors"))
    if legacy:
        inverse = {legacy_key(k): k for k in model.state_dict()}
        state = {inverse[k]: v for k, v in state.items()}
    fresh = fresh_model(model.config)
    fresh.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=True)
    with torch.no_grad():
        a = fresh(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
        b = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
    return float((a - b).abs().max())


def produced_by() -> dict:
    return {"command": COMMAND, "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "safetensors": safetensors.__version__,
            "numpy": np.__version__}


def write_golden(name: str, dtype: torch.dtype, seed: int, legacy: bool) -> None:
    directory = OUT / name
    model = make_model(seed)
    save_checkpoint(model, directory, dtype, legacy)
    round_weights(model, dtype)  # from here on, the model is exactly what was stored
    ids, mask, types = make_inputs()
    assert check_reload(directory, model, ids, mask, types, legacy) == 0.0
    golden = {
        "description": (
            f"Reference outputs of {name}/model.safetensors ({DTYPE_NAMES[dtype]} weights, read as F32, "
            "forward in float64, eval mode). last_hidden_state: [B][length_b][hidden], real positions only; "
            "hidden_states: [num_layers + 1][length_0][hidden] for sequence 0 only (index 0 = embeddings "
            "output after LayerNorm, index i = output of layer i); pooled: [B][hidden] (tanh pooler on "
            "position 0); logits: [B][num_labels]; inputs padded with 0 to a common length."),
        "produced_by": produced_by(),
        "checkpoint_dtype": DTYPE_NAMES[dtype],
        "legacy_key_names": legacy,
        "parameter_seed": seed,
        "lengths": LENGTHS,
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "token_type_ids": types.tolist(),
    }
    golden.update(reference_outputs(model, ids, mask, types))
    text = json.dumps(golden, indent=None, separators=(",", ":")) + "\n"
    (directory / "golden.json").write_text(text)
    print(f"{directory.relative_to(ROOT)}: golden.json {len(text) / 1024:.0f} KiB, "
          f"logits[0] {golden['logits'][0]}", file=sys.stderr)


def main():
    warnings.filterwarnings("ignore")
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(1)
    for name, (dtype, seed, legacy) in CHECKPOINTS.items():
        write_golden(name, dtype, seed, legacy)


if __name__ == "__main__":
    main()
