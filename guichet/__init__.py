"""guichet: a support desk that runs contract-bound SLA clocks in each customer's time zone."""

__version__ = "0.1.0"
