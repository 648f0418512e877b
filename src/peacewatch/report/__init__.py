"""Briefings: self-contained HTML (and PDF) built from the store, every figure traceable."""
