/// A failure at run time (not a usage mistake): printed as one `Error:` line, without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
