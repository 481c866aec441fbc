import TestSupport

typealias Fixtures = SimulatorFixtures
