import Foundation

/// Double-precision references from Foundation, under names that do not shadow the code under test.
func Foundation_exp(_ x: Double) -> Double { Foundation.exp(x) }
func Foundation_tanh(_ x: Double) -> Double { Foundation.tanh(x) }
func Foundation_log(_ x: Double) -> Double { Foundation.log(x) }
