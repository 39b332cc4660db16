// The control channel source (control_channel.hpp): a reader that gets the channel's messages
// as splits from the runtime's control channel enumerator (eddy/runtime/control_channel.hpp).
#include "eddy/operators/control_channel.hpp"

#include <deque>
#include <stdexcept>
#include <vector>

#include "eddy/runtime/control_channel.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy {

namespace {

constexpr const char* pending_state = "control-channel-pending";
constexpr const char* pending_type = "control_pending<v1>";

/// Emits the messages it is handed, in order; holds the ones not emitted yet in checkpoints.
class control_channel_reader final : public source_op<std::string> {
 public:
  control_channel_reader(std::string channel, input_op<std::string>* next)
      : source_op<std::string>(next), channel_(std::move(channel)) {}

  void add_splits(const std::vector<std::string>& ids,
                  const std::vector<std::string>& data) override {
    for (std::size_t i = 0; i < ids.size() && i < data.size(); ++i) pending_.push_back(data[i]);
  }
  void no_more_splits() override { no_more_ = true; }

  source_status produce(std::size_t max) override {
    if (!watermark_sent_) {
      // No event time of its own: never hold back the operators this channel feeds.
      watermark_sent_ = true;
      this->next_->on_watermark(max_watermark);
    }
    while (!pending_.empty() && this->buffer_.size() < max) {
      this->buffer_.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    this->emit_buffer();
    if (!pending_.empty()) return source_status::more;
    // The enumerator's messages wake the subtask: nothing to poll.
    return no_more_ ? source_status::end : source_status::wait;
  }

  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (pending_.empty()) return;
    out.push_back(
        state_entry{pending_state, -1, pending_type,
                    serialize(std::vector<std::string>(pending_.begin(), pending_.end()))});
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    for (const auto& e : entries) {
      if (e.name != pending_state) continue;
      std::vector<std::string> lines;
      std::string why;
      if (e.type != pending_type || !deserialize(e.data, lines, &why))
        throw std::runtime_error(
            "control channel '" + channel_ +
            "': held messages do not decode: " + (why.empty() ? "written as " + e.type : why));
      pending_.insert(pending_.begin(), lines.begin(), lines.end());
    }
  }

 private:
  std::string channel_;
  std::deque<std::string> pending_;
  bool no_more_ = false;
  bool watermark_sent_ = false;
};

}  // namespace

Source<std::string> control_channel_source(const std::string& channel) {
  if (channel.empty()) throw std::invalid_argument("a control channel needs a name");
  return Source<std::string>{
      "control channel: " + channel,
      true,  // it ends with the job's other sources (a bounded job stays bounded)
      [channel](input_op<std::string>* next) {
        return std::make_unique<control_channel_reader>(channel, next);
      },
      [channel] { return std::make_unique<control_channel_enumerator>(channel); }};
}

DataStream<std::string> from_control_channel(StreamEnvironment& env, const std::string& channel) {
  return env.from_source(control_channel_source(channel)).set_parallelism(1);
}

}  // namespace eddy
