// PLACEHOLDER: handlers of this group are being written.
#include "core/interp/handlers.h"
namespace kasou {
void register_control_handlers(HandlerTable&) {}
}  // namespace kasou
