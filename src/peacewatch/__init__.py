"""peacewatch: watch a country where a UN peace operation works and leaves."""

__version__ = "0.1.0"
