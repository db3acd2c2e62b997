"""Layer 1, the core: the exact maths, the adapter layers and PEFT I/O.

Imports only torch, numpy and safetensors (an import-linter contract checks it).
"""
