"""Training the plane-group network: generators, batches, the training loop, export.

``generate`` (exact symmetric images on CPU or GPU), ``textures`` (the natural-texture
bank), ``purity`` (finds accidental extra symmetry), ``data`` (batches and
augmentations), ``train`` (resumable loop), ``evaluate``, ``export`` (state folder ->
shipped fp16 weights). Inference lives in ``symcat.embed.symmetry``.
"""
