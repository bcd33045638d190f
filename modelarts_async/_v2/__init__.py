"""The v2 dataset calls (samples, datasets, labels), their models, their converter and the pager of their lists."""
