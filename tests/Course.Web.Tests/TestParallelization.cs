// The test host died with SIGSEGV (exit 139) under load, twice in five runs on 2026-12-07, while a libtorch device
// check (TorchDeviceCheckTests) or a batch of inference (InferenceServiceTests) ran beside a test site starting up:
// libtorch's lazy initialisation is not safe to race from two test classes. Classes run one at a time here; the
// suite takes about a minute either way.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
