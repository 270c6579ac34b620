// The libmosquitto C API as one module; only Sources/MQTTBus imports it.
#include <mosquitto.h>
#include <mqtt_protocol.h>
