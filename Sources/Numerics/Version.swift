/// The MTFSim release, recorded in checkpoints and episode logs.
public enum MTFSimVersion {
    public static let string = "0.1.0"
}
