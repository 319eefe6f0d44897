"""Private inference: HE packing of linear layers and the two-party cost model."""
