"""Work arriving by itself: mail (:mod:`.email`) and monitoring alerts (:mod:`.alerts`)."""
