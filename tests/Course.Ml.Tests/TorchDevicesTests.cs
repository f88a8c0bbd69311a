using Course.Ml.Data;
using Course.Ml.Models.Bert;
using Course.Ml.Models.Heads;
using Course.Ml.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Tests;

public class TorchDevicesTests
{
    private const string NoCuda =
        "but this build of TorchSharp has no CUDA (or no GPU is visible): build with -p:TorchDevice=cuda on a machine with an NVIDIA driver (README, \"GPU (CUDA) builds\"), or set Ml:Device to auto or cpu.";

    [Theory]
    [InlineData("cpu")]
    [InlineData("CPU")]
    [InlineData(" cpu ")]
    [InlineData("auto")]
    public void The_setting_resolves_to_the_cpu_on_a_cpu_build(string setting)
    {
        Assert.False(cuda.is_available()); // TorchSharp-cpu: auto has no GPU to pick

        var device = TorchDevices.Resolve(setting);

        Assert.Equal((DeviceType.CPU, -1), (device.type, device.index));
        Assert.Equal("cpu", TorchDevices.Name(device));
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("")]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("cuda:1.5")]
    [InlineData("cuda:99999999999")]
    [InlineData("cpu:0")]
    public void Anything_else_is_refused_naming_the_setting_and_the_accepted_values(string setting)
    {
        var error = Assert.Throws<InvalidOperationException>(() => TorchDevices.Resolve(setting));

        Assert.Equal($"Ml:Device is '{setting}'; it must be auto, cpu, cuda or cuda:N (N a GPU index from 0).", error.Message);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("CUDA")]
    [InlineData("cuda:0")]
    [InlineData("cuda:3")]
    public void Cuda_on_a_build_without_it_is_refused_with_what_to_do(string setting)
    {
        Assert.False(cuda.is_available()); // this machine's TorchSharp-cpu build has no CUDA

        var error = Assert.Throws<InvalidOperationException>(() => TorchDevices.Resolve(setting));

        Assert.Equal($"Ml:Device is '{setting}' {NoCuda}", error.Message);
    }

    [Fact]
    public void A_gpu_is_named_with_its_index()
    {
        Assert.Equal("cuda:0", TorchDevices.Name(new Device(DeviceType.CUDA, 0)));
        Assert.Equal("cuda:2", TorchDevices.Name(new Device(DeviceType.CUDA, 2)));
    }

    [Fact]
    public void The_services_resolve_the_setting_once_and_refuse_a_bad_one_when_asked()
    {
        static ServiceProvider Services(string setting) => new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ml:Device"] = setting }).Build())
            .AddCourseMl()
            .BuildServiceProvider();

        using var cpuServices = Services("cpu");
        var device = cpuServices.GetRequiredService<Device>();
        Assert.Equal(DeviceType.CPU, device.type);
        Assert.Same(device, cpuServices.GetRequiredService<Device>());

        using var cudaServices = Services("cuda");
        var error = Assert.Throws<InvalidOperationException>(() => cudaServices.GetRequiredService<Device>());
        Assert.Equal($"Ml:Device is 'cuda' {NoCuda}", error.Message);
    }
}

/// <summary>
/// Everything a training step makes or touches (parameters, gradients, the batch, the outputs, class weights,
/// the optimizer's state) is on the model's device. This machine has only the CPU, so the step runs there; the
/// check compares each tensor's device type and index with the model's, and is shown to catch tensors that are not.
/// </summary>
public class DevicePlacementTests
{
    private static readonly BertConfig Tiny = new BertConfig
    {
        HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32,
    }.WithLabels(["negative", "positive"]);

    [Fact]
    public void A_training_step_keeps_every_parameter_gradient_batch_tensor_and_output_on_the_models_device()
    {
        manual_seed(11);
        var cpu = TorchDevices.Resolve("cpu");
        using var model = new BertForSequenceClassification(Tiny);
        model.to(cpu);
        var modelDevice = TorchDevices.Of(model);
        Assert.Equal((cpu.type, cpu.index), (modelDevice.type, modelDevice.index));
        var features = new[] { ("a lovely screen", 1L), ("an awful battery that died", 0L), ("great", 1L) }
            .Select(e => Preprocessing.SequenceClassification(Tokenizers.Bert, e.Item1, e.Item2, 32)).ToList();
        using var weights = ClassWeighting.For(new TrainingArguments { BalancedClassWeights = true }, features.Select(f => f.Label!.Value),
            new ClassLabel(Tiny.Labels), modelDevice)!;
        using var optimizer = new FusedAdamW(model.parameters().Select(p => (p, 0.01)), 1e-3);

        using var batch = new DataCollatorWithPadding(Tokenizers.Bert).Collate(features).To(modelDevice);
        using var output = ClassWeighting.Weighted(model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds), batch.Labels!, weights);
        output.Loss!.backward();
        optimizer.Step(1.0);

        var parameters = model.named_parameters().Select(p => ($"parameter {p.name}", (Tensor)p.parameter)).ToList();
        var gradients = model.named_parameters().Where(p => p.parameter.grad is not null).Select(p => ($"gradient of {p.name}", p.parameter.grad!)).ToList();
        List<(string, Tensor)> others =
        [
            ("input_ids", batch.InputIds), ("attention_mask", batch.AttentionMask), ("token_type_ids", batch.TokenTypeIds!), ("labels", batch.Labels!),
            ("loss", output.Loss), ("logits", output.Logits), ("class weights", weights),
            .. optimizer.StateTensors().Select((t, i) => ($"optimizer state {i}", t)),
        ];
        List<(string Name, Tensor Tensor)> all = [.. parameters, .. gradients, .. others];

        Assert.Equal(model.parameters().Count(), gradients.Count); // every parameter trained, so every gradient is checked
        Assert.Empty(Misplaced(all, modelDevice));
        // The same tensors checked against a GPU: every one is reported, so the check above can fail.
        Assert.Equal(all.Select(t => t.Name), Misplaced(all, new Device(DeviceType.CUDA, 0)));
    }

    [Fact]
    public void The_optimizer_state_a_gpu_run_uses_is_made_beside_its_parameters()
    {
        // Off the CPU's float32 contiguous memory FusedAdamW hands over to torch.optim.AdamW, whose moments a GPU
        // run keeps; a non-contiguous parameter takes that path here.
        using var source = ones(3, 4);
        using var transposed = source.t();
        using var parameter = new Parameter(transposed);
        Assert.False(parameter.is_contiguous());
        using var optimizer = new FusedAdamW([(parameter, 0.0)], 1e-3);
        using (var loss = (parameter * parameter).sum())
        {
            loss.backward();
        }

        optimizer.Step();

        var state = optimizer.StateTensors().Select((t, i) => ($"optimizer state {i}", t)).ToList();
        Assert.Equal(2, state.Count); // exp_avg and exp_avg_sq
        Assert.All(state, s => Assert.Equal(parameter.shape, s.t.shape));
        Assert.Empty(Misplaced(state, parameter.device));
        Assert.Equal(state.Select(s => s.Item1), Misplaced(state, new Device(DeviceType.CUDA, 0)));
    }

    /// <summary>The names of the tensors whose device type or index differs from <paramref name="expected"/>'s.</summary>
    private static List<string> Misplaced(IEnumerable<(string Name, Tensor Tensor)> tensors, Device expected) =>
        tensors.Where(t => t.Tensor.device_type != expected.type || t.Tensor.device_index != expected.index).Select(t => t.Name).ToList();
}
