"""The default symmetry model's name, in a module that imports nothing.

`symcat symmetry --help` names the default, and the CLI must start without loading the
store or torch; the store (`symcat.embed.symmetry_store`), `symcat.embed.plane_groups`
and the help all read this one constant, so a new default is one edit here.
"""

FAMILY = "symcat_symmetry."  # a version is typed without it: v43
SYMMETRY_MODEL = f"{FAMILY}v43"  # v42 + aliases of whole-pixel lattices give way
