"""The paper's demonstrations on trained models, and a synthesis demo that needs none.

- `synthesis`: hand-made controls through the synths (no training).
- `transfer`: timbre transfer of any recording; `control`: independent control, interpolation and
  pitch extrapolation; `rooms`: decomposition, dereverberation and room transfer.
- `sections` runs each into a folder (audio, figure, results.json); `page` gathers them on one
  HTML page; `common` loads a model and its data; `features` measures audio; `plots` draws.
"""
