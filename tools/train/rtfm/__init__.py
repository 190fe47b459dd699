"""RTFM-tiny in PyTorch: the trainer's implementation of docs/model.md."""
