"""Models of your own: a layer function in a file of yours, checked and recorded in the manifest.

A model function is written as the article writes its five (see `graphs.py`): it takes the
two placeholders, `x_input` (float32 [None, 784], the images) and `should_drop` (a scalar bool,
True while a training step runs and False when accuracy is measured; use it as the `training`
flag of dropout and batch normalisation), builds its layers, and returns the logits, float32
[None, 10]. `export.py --add FILE.py:FUNCTION` builds the training contract around it as for
the five (loss, optimizer, accuracy, saver, summaries, serving signature), exports it, and
adds its entry to the manifest with the parameter count and `"source": "FILE.py:FUNCTION"`.

Everything that would only fail later, in a Rust run, is refused here with the reason: a name
that clashes or cannot be a folder and flag value, a function that cannot be imported or takes
other arguments, logits of the wrong type or shape, a placeholder nobody feeds, op names the
contract reserves, and a graph with nothing to train.
"""

import importlib.util
import inspect
import re
import sys
from pathlib import Path

import tensorflow as tf

import manifest as manifest_lib

# A model name is a folder under models/ and a value of --model and --models (where `all`
# means the article's five).
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
RESERVED_NAMES = ("all",)
# The section the reports show for a model of one's own.
SECTION = "Your own model"
# Op name prefixes the exporter's saver and summaries use.
RESERVED_SCOPES = ("save/", "summaries/", "summary_writer")


def refuse(message):
    """Stops the export with `message`, as every refusal of the exporter does."""
    raise SystemExit(f"error: {message}")


def parse_source(text):
    """`FILE.py:FUNCTION` as (path, function name)."""
    path, colon, function = text.rpartition(":")
    if not colon or not path or not function.isidentifier():
        refuse(
            f"--add {text!r}: name a Python file and the function in it, as "
            f"FILE.py:FUNCTION (for example python/examples/batchnorm.py:conv2_bn)"
        )
    return Path(path), function


def source_text(path, function):
    """How the manifest records a source: relative to the project when inside it."""
    resolved = path.resolve()
    try:
        shown = resolved.relative_to(manifest_lib.ROOT)
    except ValueError:
        shown = resolved
    return f"{shown.as_posix()}:{function}"


def source_path(source):
    """The file and function of a manifest `source`, relative paths from the project."""
    path, function = parse_source(source)
    if not path.is_absolute():
        path = manifest_lib.ROOT / path
    return path, function


def load_function(path, function):
    """Imports `path` and returns its `function`, checked to take the two placeholders."""
    label = f"{path}:{function}"
    if not path.is_file():
        refuse(f"{path} does not exist; --add takes FILE.py:FUNCTION")
    module_name = f"tflayers_user_{re.sub(r'[^0-9a-zA-Z_]', '_', path.stem)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        refuse(f"{path} cannot be imported as Python; --add takes a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - any error in the user's file is reported
        refuse(f"importing {path} failed: {type(error).__name__}: {error}")
    finally:
        sys.path.pop(0)
    model_fn = getattr(module, function, None)
    if model_fn is None or not callable(model_fn):
        defined = [
            name
            for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module_name
        ]
        refuse(
            f"{path} defines no function {function!r}; its functions: "
            f"{', '.join(defined) or 'none'}"
        )
    check_parameters(model_fn, label)
    return model_fn


def check_parameters(model_fn, label):
    """Refuses a function that cannot be called as `model_fn(x_input, should_drop)`."""
    try:
        signature = inspect.signature(model_fn)
    except (TypeError, ValueError):
        return
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required_positional = [p for p in positional if p.default is p.empty]
    required_keyword = [p for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    takes_varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
    fits = (
        len(required_positional) <= 2
        and (len(positional) >= 2 or takes_varargs)
        and not required_keyword
    )
    if not fits:
        refuse(
            f"{label} takes {signature}; a model function takes the article's two "
            f"placeholders, (x_input, should_drop), and returns the logits"
        )


def check_name(name, manifest, source):
    """Refuses a name that cannot be a model folder and flag value, or that another model
    already has; the same source may be exported again under its name."""
    if not NAME_PATTERN.match(name) or name in RESERVED_NAMES:
        refuse(
            f"--name {name!r}: a model name is 1-32 lower-case letters, digits and "
            f"underscores, starting with a letter, and not {', '.join(RESERVED_NAMES)}"
        )
    entry = manifest_lib.find(manifest, name)
    if entry is not None:
        if "source" not in entry:
            refuse(
                f"--name {name!r} is one of the article's models; choose another name "
                f"with --name"
            )
        if entry["source"] != source:
            refuse(
                f"--name {name!r} already names the model from {entry['source']}; choose "
                f"another name with --name, or remove that one first with --remove {name}"
            )


def checked(model_fn, label, manifest):
    """`model_fn` wrapped so that what it builds is checked against the training contract."""

    def build(x_input, should_drop):
        graph = x_input.graph
        before = {op.name for op in graph.get_operations()}
        try:
            output = model_fn(x_input, should_drop)
        except Exception as error:  # noqa: BLE001 - reported with the function's name
            refuse(
                f"{label} raised {type(error).__name__} while building its graph: {error}. "
                f"It receives x_input (float32 [None, 784]) and should_drop (bool [])"
            )
        check_output(output, label)
        made = [op for op in graph.get_operations() if op.name not in before]
        check_names(made, label, manifest)
        check_placeholders(made, label)
        check_depends_on(output, x_input, label)
        check_trainable(graph, label)
        return output

    return build


def check_output(output, label):
    """The logits must be a float32 tensor of shape [None, 10]."""
    if not isinstance(output, tf.Tensor):
        refuse(
            f"{label} returned {type(output).__name__}; it must return the logits tensor "
            f"(float32 [None, 10]), e.g. the last tf.compat.v1.layers.dense(..., 10)"
        )
    if output.dtype != tf.float32:
        refuse(
            f"{label} returned {output.dtype.name} logits; the loss takes float32 (add "
            f"tf.cast(logits, tf.float32))"
        )
    shape = output.shape
    if shape.rank != 2 or shape[1] != 10:
        refuse(f"{label} returned logits of shape {shape}; the contract needs [None, 10]")
    if shape[0] is not None:
        refuse(
            f"{label} returned logits of shape {shape}: the batch dimension must stay None "
            f"(tflayers feeds 100 images a step and up to 1,000 an evaluation); reshape "
            f"with -1, not a fixed batch size"
        )


def check_names(made, label, manifest):
    """The function's ops must not take the names the contract gives its own ops."""
    reserved = set(manifest_lib.contract_op_names(manifest))
    for op in made:
        if op.name in reserved or op.name.startswith(RESERVED_SCOPES):
            refuse(
                f"{label} creates an op named {op.name!r}, a name the training contract "
                f"reserves (models/manifest.json); give that op another name"
            )


def check_placeholders(made, label):
    """A placeholder of the function's own would need a value tflayers never feeds."""
    for op in made:
        if op.type == "Placeholder":
            refuse(
                f"{label} creates the placeholder {op.name!r}, which tflayers never feeds; "
                f"use tf.compat.v1.placeholder_with_default, or the should_drop argument for "
                f"training-only behaviour"
            )


def check_depends_on(output, x_input, label):
    """The logits must be computed from the images."""
    seen, stack = set(), [output.op]
    while stack:
        op = stack.pop()
        if op is x_input.op:
            return
        if op.name in seen:
            continue
        seen.add(op.name)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    refuse(f"{label} returned logits that do not depend on x_input, the images")


def check_trainable(graph, label):
    """A model with nothing to train cannot follow the article's loop."""
    with graph.as_default():
        if not tf.compat.v1.trainable_variables():
            refuse(
                f"{label} creates no trainable variables; build its layers with "
                f"tf.compat.v1.layers"
            )


def entry(name, source, description, parameters, old=None):
    """The manifest entry of a model of one's own; a measured `expected_accuracy` of an
    earlier export of the same source is kept."""
    return {
        "name": name,
        "section": SECTION,
        "description": description,
        "parameters": parameters,
        "article_accuracy": None,
        "expected_accuracy": (old or {}).get("expected_accuracy"),
        "source": source,
    }


def description_of(model_fn, source):
    """The first line of the function's docstring, else where it comes from."""
    doc = inspect.getdoc(model_fn)
    if doc:
        return doc.splitlines()[0].rstrip(".")
    return f"from {source}"
