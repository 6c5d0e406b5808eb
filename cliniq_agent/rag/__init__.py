"""Code index for retrieval-augmented coding: words (any of five languages, misspelt, abbreviated) to codes.

``CodeIndex.open()`` gives the process-wide index (a persistent Chroma collection of every KB name, built in the
user cache dir on first use and reused while the KB and the embedding model are unchanged);
``index.search("whooping cough", system="snomed")`` ranks codes by a calibrated score; ``index.lookup(system,
code)`` returns one code. The narrative path and the LLM agent call these as their RAG tool.
"""

from cliniq_agent.rag.documents import IndexDocument
from cliniq_agent.rag.retrieval import CodeHit, CodeIndex

__all__ = ["CodeHit", "CodeIndex", "IndexDocument"]
