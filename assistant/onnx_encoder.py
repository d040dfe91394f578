"""A question's pass through the transformer on ONNX Runtime: the same numbers as torch, three times sooner.

A question is a dozen tokens. For inputs that small torch spends most of its time outside the arithmetic (per
operator dispatch, matrix kernels tuned for large products): e5-small takes 25–35 ms per question on two cores,
ONNX Runtime's CPU kernels 8–14 ms for the same float32 result (largest difference 1e-6).

The transformer is exported once per model into the cache, under a key hashed from its weights, its
configuration and the two libraries' versions, and checked against torch on a padded batch before it is
published (written beside its place, then renamed). The input-embedding table stays out of the graph: the
lookup is done with the torch model's own table, so the exported file (86 MB for e5-small) holds only the
layers and the process does not keep a second copy of the 250,000-row vocabulary. Passages stay on torch,
so an index is the same whichever runs the questions.

A model whose transformer cannot be exported, or ``ASSISTANT_ONNX=off``, keeps torch for questions too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

EXPORT_VERSION = "1"
MAX_EXPORT_DIFFERENCE = 1e-3  # largest difference from torch, on any real token, that an export may show
_EMBEDDINGS = "inputs_embeds"
_PROBE_TEXTS = (
    "质量强国建设纲要实施意见",
    "質量",
    "推动检验检测机构市场化改革，培育一批技术能力强、服务水平高的检验检测集团",
)


class OnnxExportError(RuntimeError):
    """The transformer could not be exported, or its export does not compute what torch computes."""


def onnx_enabled() -> bool:
    """Whether questions may run on ONNX Runtime (``ASSISTANT_ONNX=off`` keeps them on torch)."""
    return os.environ.get("ASSISTANT_ONNX", "auto").strip().lower() != "off"


class OnnxTransformer:
    """A sentence-transformers ``Transformer`` module's forward pass, run by ONNX Runtime."""

    def __init__(self, module: Any, session: Any, path: Path) -> None:
        self._embeddings = module.model.get_input_embeddings()
        self._session = session
        self._inputs = [item.name for item in session.get_inputs()]
        self.path = path

    def __call__(self, features: dict[str, Any]) -> dict[str, Any]:
        """Add ``token_embeddings`` (a float32 torch tensor) to the features of a tokenised batch."""
        import torch

        with torch.inference_mode():
            embedded = self._embeddings(features["input_ids"]).numpy()
        feed = {
            name: embedded if name == _EMBEDDINGS else features[name].numpy().astype(np.int64, copy=False)
            for name in self._inputs
        }
        (hidden,) = self._session.run(None, feed)
        features["token_embeddings"] = torch.from_numpy(hidden)
        return features


def load_onnx_transformer(module: Any, cache_dir: Path) -> OnnxTransformer:
    """The module's ONNX twin from the cache, exported and checked first if the cache has none for it."""
    if not _is_plain_text_transformer(module):
        raise OnnxExportError(
            f"{type(module).__name__} is not a text transformer returning its last hidden state"
        )
    input_names = [_EMBEDDINGS] + [name for name in module.tokenizer.model_input_names if name != "input_ids"]
    try:
        key = _export_key(module, input_names)
    except (AttributeError, TypeError, RuntimeError) as error:  # a model without a plain config or weights
        raise OnnxExportError(
            f"cannot identify {type(module.model).__name__}: {_first_line(error)}"
        ) from error
    path = Path(cache_dir) / f"transformer-{key}.onnx"
    if path.is_file():
        try:
            return OnnxTransformer(module, _session(path), path)
        except Exception as error:  # a damaged or truncated file from an earlier run: export it again
            print(
                f"warning: {path} is unreadable ({_first_line(error)}); exporting it again", file=sys.stderr
            )
    partial = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _export(module, input_names, partial)
        encoder = OnnxTransformer(module, _session(partial), path)
        _check_against_torch(module, encoder)
        os.replace(partial, path)
        return encoder
    except OnnxExportError:
        raise
    except Exception as error:  # an unsupported operator, a read-only or full cache: torch stays in use
        raise OnnxExportError(
            f"exporting {type(module.model).__name__} failed: {_first_line(error)}"
        ) from error
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _is_plain_text_transformer(module: Any) -> bool:
    config = getattr(module, "modality_config", {}).get("text", {})
    return (
        hasattr(module, "model")
        and hasattr(module.model, "get_input_embeddings")
        and config.get("method") == "forward"
        and config.get("method_output_name") == "last_hidden_state"
        and getattr(module, "module_output_name", None) == "token_embeddings"
    )


def _export_key(module: Any, input_names: list[str]) -> str:
    """A digest of everything the exported graph depends on, so a changed model never meets an old file."""
    import onnxruntime
    import torch

    digest = hashlib.blake2b(digest_size=12)
    header = {
        "export": EXPORT_VERSION,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "class": type(module.model).__name__,
        "config": module.model.config.to_dict(),
        "inputs": input_names,
    }
    digest.update(json.dumps(header, sort_keys=True, default=str).encode("utf-8"))
    table = module.model.get_input_embeddings().weight
    for name, tensor in module.model.state_dict().items():
        if tensor.data_ptr() == table.data_ptr():
            continue  # the lookup table is not in the graph
        digest.update(name.encode("utf-8"))
        digest.update(tensor.detach().contiguous().cpu().view(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def _export(module: Any, input_names: list[str], target: Path) -> None:
    import torch

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, inputs_embeds: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
            extra = dict(zip(input_names[1:], rest, strict=True))
            return self.model(inputs_embeds=inputs_embeds, **extra, return_dict=True).last_hidden_state

    # Two texts of different lengths, so the traced graph applies the padding mask.
    example = module.tokenizer(list(_PROBE_TEXTS[:2]), padding=True, return_tensors="pt")
    with torch.inference_mode():
        embedded = module.model.get_input_embeddings()(example["input_ids"])
    arguments = (embedded, *(example[name] for name in input_names[1:]))
    axes = {name: {0: "batch", 1: "sequence"} for name in [*input_names, "last_hidden_state"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python conditions fixed at export time
        torch.onnx.export(
            _LastHiddenState(module.model).eval(),
            arguments,
            str(target),
            input_names=input_names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _check_against_torch(module: Any, encoder: OnnxTransformer) -> None:
    """Refuse an export whose hidden states differ from torch's on a padded batch of three texts."""
    import torch

    batch = module.tokenizer(list(_PROBE_TEXTS), padding=True, return_tensors="pt")
    with torch.inference_mode():
        expected = module.model(**batch, return_dict=True).last_hidden_state.numpy()
    actual = encoder(dict(batch))["token_embeddings"].numpy()
    real = batch["attention_mask"].numpy().astype(bool)
    difference = float(np.abs(actual - expected)[real].max())
    if not difference <= MAX_EXPORT_DIFFERENCE:
        raise OnnxExportError(
            f"the export differs from torch by {difference:.2g} (allowed {MAX_EXPORT_DIFFERENCE})"
        )


def _session(path: Path) -> Any:
    import onnxruntime
    import torch

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    # Idle workers would otherwise spin for a while after each run, taking the cores from the re-ranking
    # products that follow in torch.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
