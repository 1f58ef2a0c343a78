"""Explanations of a run's model on stamped C_j test samples (the paper's GradCAM and SHAP
figures), quantified per epoch as metrics.

- `artifacts`: numpy and PIL only (the console reads these files): file names, the
  colour map, CAM-in-box share, writing and reading the saved numbers.
- `cam`: GradCAM (pytorch-grad-cam) on image models; needs torch.
- `shapley`: SHAP (shap's text masker) on text models; needs torch.
- `runner`: the per-run hook `run_one` calls after each epoch's evaluation.

Nothing is imported here, so `import engine.explain.artifacts` stays free of torch.
"""
