"""Symmetry-aware features: a wallpaper-group generator, a classifier and its extractor.

Modules, each with one job: ``groups`` (ITA operations), ``generate`` (exact symmetric
images on CPU or GPU), ``purity`` (finds accidental extra symmetry), ``model``,
``train``, ``export``, ``extract`` (the API: ``SymmetryExtractor``). Nothing is imported
here, so ``import symcat.embed.symmetry`` stays free of torch.
"""
