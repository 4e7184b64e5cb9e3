"""``Module``: the base class of layers and models, with torch's bookkeeping.

A module owns ``Parameter``s and child modules, both registered simply by assigning
them as attributes (``self.fc1 = Linear(...)``), in the order of assignment, and buffers:
Tensors that are part of its state but not trained (a running mean), registered with
``register_buffer``.  Names are dotted paths, as in torch: ``fc1.weight``, ``0.bias``.
"""
from __future__ import annotations

from collections import namedtuple

import array_api_compat
import numpy as np

from .. import backend
from ..tensor import Parameter, Tensor, _is_array

__all__ = ["Module"]

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class: subclasses set attributes in ``__init__`` and define ``forward``.

    >>> import numpy as np
    >>> class Scale(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = Parameter(np.array([2.0]))
    ...     def forward(self, x):
    ...         return x * self.w
    >>> m = Scale()
    >>> [name for name, _ in m.named_parameters()]
    ['w']
    >>> m(np.array([1.0, 3.0]))          # callable on plain arrays too
    tensor([2., 6.], requires_grad=True)
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # -------------------------------------------------------------- attributes
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__ and isinstance(value, (Parameter, Module)):
            raise AttributeError(f"cannot assign {type(value).__name__} before Module.__init__() call")
        params, modules = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif params is not None and name in params:
            if value is not None:  # torch allows only None in place of a registered parameter
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(a Parameter or None is required)")
            params[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                "(a Module or None is required)")
            modules[name] = None
        elif name in self.__dict__.get("_buffers", {}):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                                "(a Tensor or None is expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        self.__dict__.pop(name, None)
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)
        self._modules.pop(name, None)

    def __getattr__(self, name):  # called only when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry, {})
            if name in found:
                return found[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name: str, param) -> None:
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias``) as ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} "
                            "(a Parameter or None is required)")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register ``tensor`` (a Tensor, or None) as a buffer: state that is not trained.

        A persistent buffer is in ``state_dict()``; ``buffers()`` lists every buffer.

        >>> m = Module(); m.register_buffer("count", Tensor(np.array(0)))
        >>> [name for name, _ in m.named_buffers()], list(m.state_dict())
        (['count'], ['count'])
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(a Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        # plain arrays become constant Tensors, so a model is callable on NumPy data
        args = [a if isinstance(a, Tensor) else Tensor(a) if _is_array(a) else a for a in args]
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- children
    def named_children(self):
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = ""):
        """``(dotted name, module)`` for this module ('') and every descendant, each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{k}" if name else k, m) for k, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    # --------------------------------------------------------------- parameters
    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """``(dotted name, Parameter)`` pairs, each parameter once, in torch's order."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True):
        """The parameters, for an optimizer: ``SGD(model.parameters(), lr=0.1)``."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        """``(dotted name, buffer)`` pairs, each buffer once, in torch's order."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, b in module._buffers.items():
                if b is None or id(b) in seen:
                    continue
                seen.add(id(b))
                yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``grad = None`` (default, as torch), or zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = backend.namespace(p.grad).zeros_like(p.grad)

    # ------------------------------------------------------------------- modes
    def train(self, mode: bool = True):
        """Set training mode here and in every descendant (``eval()`` is ``train(False)``)."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    # ------------------------------------------------------------------ dtypes
    def to(self, dtype):
        """Cast every parameter and floating-point buffer to ``dtype`` (e.g. ``numpy.float64``),
        in place, as torch does (an integer buffer such as a counter keeps its dtype); returns self."""
        for p in self.parameters():
            xp = backend.namespace(p.data)
            p.data = xp.astype(p.data, _dtype_in(xp, dtype))
            if p.grad is not None:
                p.grad = xp.astype(p.grad, p.data.dtype)
        for b in self.buffers():
            xp = backend.namespace(b.data)
            if xp.isdtype(b.data.dtype, "real floating"):
                b.data = xp.astype(b.data, _dtype_in(xp, dtype))
        return self

    def double(self):
        return self.to("float64")

    def float(self):
        return self.to("float32")

    # ------------------------------------------------------------- state dicts
    def _state_items(self, prefix=""):
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield prefix + name, b
        for name, module in self.named_children():
            yield from module._state_items(prefix + name + ".")

    def state_dict(self) -> dict:
        """Name -> a copy of each parameter's (and persistent buffer's) array, in torch's key order.

        Copies, so that training on afterwards does not change a saved state.
        """
        return {name: backend.namespace(p.data).asarray(p.data, copy=True) for name, p in self._state_items()}

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy arrays from ``state_dict`` into the parameters and buffers (in place, keeping their dtype).

        Every key and shape is checked first; on any problem a ``RuntimeError`` lists them
        all and no parameter is changed.  With ``strict=False`` missing and unexpected keys
        are allowed (and returned), but shape mismatches are still errors.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        own = dict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        values = {k: _as_array(state_dict[k]) for k in own if k in state_dict}
        for name, p in own.items():
            if name not in values:
                continue
            shape = tuple(values[name].shape)
            if shape != p.shape:
                errors.append(f"size mismatch for {name}: copying a param with shape {shape} from "
                              f"checkpoint, the shape in current model is {p.shape}.")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for name, value in values.items():
            p = own[name]
            xp = backend.namespace(p.data)
            if backend.namespace(value) is not xp:
                value = backend.to_numpy(value)
            # in place, like torch's copy_: views of p.data (an optimizer's flat buffer) stay valid
            p.data[...] = xp.asarray(value, dtype=p.dtype, device=array_api_compat.device(p.data))
            p._version += 1  # as copy_ does: a graph built before the load refuses to backward
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _as_array(value):
    if isinstance(value, Tensor):
        return value.data
    return value if _is_array(value) else np.asarray(value)


def _dtype_in(xp, dtype):
    """``dtype`` (a name, a NumPy dtype or a namespace dtype) as ``xp``'s dtype object."""
    name = dtype if isinstance(dtype, str) else getattr(dtype, "__name__", None) or str(dtype)
    name = name.replace("numpy.", "").replace("array_api_strict.", "")
    if not hasattr(xp, name):
        raise TypeError(f"unknown dtype {dtype!r}")
    return getattr(xp, name)
