import Foundation

/// Creates the folder that will hold `path` (and its parents), if the path names one.
func createParentDirectory(of path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
}
