"""Reports of results: heat maps as accessible SVG, exports with licence and provenance.

Renderers here take plain tables and result records; they never run a model.
"""
