// PLACEHOLDER: handlers of this group are being written.
#include "core/interp/handlers.h"
namespace kasou {
void register_string_handlers(HandlerTable&) {}
}  // namespace kasou
