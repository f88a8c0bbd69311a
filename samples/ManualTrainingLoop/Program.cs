// The manual training loop of lesson 4.3.3 ("A manual training loop"), kept in sync with it: fine-tunes
// all-MiniLM-L6-v2 on the course's product reviews for two epochs and prints validation accuracy per epoch.
using Course.Ml.Data;
using Course.Ml.Hub;
using Course.Ml.Models;
using Course.Ml.Tokenization;
using Course.Ml.Training;
using static TorchSharp.torch;

var hub = new ModelHub("data/hub");
const string checkpoint = "sentence-transformers/all-MiniLM-L6-v2";
var tokenizer = AutoTokenizer.FromPretrained(checkpoint, hub);
var labels = new ClassLabel(["negative", "neutral", "positive"]);
List<Features> Featurize(string path) => Dataset.FromJsonLines(path).Select(row => Preprocessing.SequenceClassification(
    tokenizer, row.Get<string>("text"), labels.StrToInt(row.Get<string>("label")), maxLength: 128)).ToList();
var train = Featurize("content/datasets/product-reviews/train.jsonl");
var validation = Featurize("content/datasets/product-reviews/validation.jsonl");

var (model, _) = AutoModelForSequenceClassification.FromPretrained(checkpoint, hub, labels.Names);
var collator = new DataCollatorWithPadding(tokenizer);
var optimizer = optim.AdamW(model.parameters(), 5e-5);
const int epochs = 2, batchSize = 16;
var totalSteps = epochs * (int)Math.Ceiling(train.Count / (double)batchSize);
var (warmupSteps, step) = ((int)(0.1 * totalSteps), 0);

for (var epoch = 0; epoch < epochs; epoch++)
{
    model.train();                                                  // dropout on
    var order = Enumerable.Range(0, train.Count).ToArray();
    new Random(42 + epoch).Shuffle(order);                          // shuffle=True
    foreach (var chunk in order.Chunk(batchSize))
    {
        using var scope = NewDisposeScope();                        // frees this step's tensors
        using var batch = collator.Collate(chunk.Select(i => train[i]).ToList());
        using var output = model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.Labels);
        output.Loss!.backward();
        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
        foreach (var group in optimizer.ParamGroups)                // the scheduler: warmup, then linear decay
        {
            group.LearningRate = 5e-5 * LearningRateSchedule.Factor("linear", step, warmupSteps, totalSteps);
        }
        optimizer.step();
        optimizer.zero_grad();
        step++;
    }

    model.eval();                                                   // dropout off
    using var noGrad = no_grad();
    var correct = 0L;
    foreach (var chunk in validation.Chunk(64))
    {
        using var scope = NewDisposeScope();
        using var batch = collator.Collate(chunk);
        using var output = model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        correct += output.Logits.argmax(-1).eq(batch.Labels!).sum().item<long>();
    }
    Console.WriteLine($"epoch {epoch + 1}: validation accuracy {(double)correct / validation.Count:0.000}");
}
