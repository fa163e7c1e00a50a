// Placeholder until this target's work lands.
