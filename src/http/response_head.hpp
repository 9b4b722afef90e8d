// The bytes of a response's status line and header fields, as Beast's serializer writes them,
// rendered into a reusable string. The session sends them and the body with one sendmsg(): Beast's
// serializer walks a view of some ten buffers per response, about a tenth of the server's user
// time on small responses. Chunked responses still go through Beast's serializer.
#pragma once

#include <string>

#include "http/message.hpp"

namespace loadlab::http {

// Replaces out with "HTTP/x.y CODE REASON\r\n", every field as "Name: value\r\n", and "\r\n".
void render_response_head(const Response& response, std::string& out);

}  // namespace loadlab::http
