"""Analysis: per-client metrics, scores, segmentations, summary tables, portrait, satisfaction."""
