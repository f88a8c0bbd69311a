// The test host died with SIGSEGV (exit 139) under load, in two of five runs on 2026-12-07, each time while a libtorch
// device check (TorchDeviceCheckTests) or a batch of inference (InferenceServiceTests) ran beside a test site starting
// up. The kernel log places both faults in libtorch_cpu.so at at::_ops::add__Tensor::call (an in-place add reading a
// tensor that was already freed) on a .NET thread-pool thread; which managed call freed it is not found, and 16 runs
// with the classes in parallel, beside two busy loops and then a fill-mask build, did not crash again (2026-12-07,
// 23:14–23:31 UTC). Until the cause is found, classes run one at a time here (about a minute on an idle machine
// either way).
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
