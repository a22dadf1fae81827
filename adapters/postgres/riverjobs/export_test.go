package riverjobs

// WithTestOnly sets River's TestOnly, which starts the leader's services
// (the planner among them) without their jittered delay.
func WithTestOnly() Option { return func(c *config) { c.testOnly = true } }
