// The test host died with SIGSEGV (exit 139) under load, in two of five runs on 2026-12-07, each time while a libtorch
// device check (TorchDeviceCheckTests) or a batch of inference (InferenceServiceTests) ran beside a test site starting
// up. The native cause is not found; the suspect is libtorch work racing across test classes, so classes run one at a
// time here (about a minute on an idle machine either way).
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
