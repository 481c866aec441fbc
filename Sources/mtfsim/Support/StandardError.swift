import Foundation

/// Writes `line` to standard error (status lines that must not mix with `--json` output on standard output).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
